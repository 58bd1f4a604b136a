/**
 * Every Redis key of the sign-in limits, in one place. A bucket's state is `tokens:updatedAtMs`
 * (as the send limit keeps it) and expires once the bucket would be full again.
 */
export const signInKeys = {
  loginByUsername: (prefix: string, username: string) => `${prefix}ratelimit:login:username:${username}`,
  loginByAddress: (prefix: string, address: string) => `${prefix}ratelimit:login:address:${address}`,
  registerByAddress: (prefix: string, address: string) => `${prefix}ratelimit:register:address:${address}`,
  providerByAddress: (prefix: string, address: string) => `${prefix}ratelimit:provider:address:${address}`,
} as const;
