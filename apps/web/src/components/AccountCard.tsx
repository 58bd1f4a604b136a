import type { ReactNode } from 'react';

/** The centred card of the signed-out screens (sign in, sign up, the provider landing): brand and title. */
export function AccountCard({ title, children }: { readonly title: string; readonly children?: ReactNode }) {
  return (
    <main className="account-screen">
      <div className="account-card">
        <p className="brand" aria-hidden="true">
          Parley
        </p>
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  );
}
