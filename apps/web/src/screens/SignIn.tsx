import { useState, type FormEvent } from 'react';
import { ApiError, logIn, type SignedIn } from '../api';
import { Field } from '../components/Field';
import { FormError } from '../components/FormError';
import { ProviderButtons } from '../components/ProviderButtons';
import { useScreenTitle } from '../components/use-screen-title';
import { NO_ERRORS, signInErrors, type FormErrors } from '../form-errors';
import { AccountCard } from '../components/AccountCard';

export interface SignInProps {
  readonly onSignedIn: (session: SignedIn) => void;
  readonly onSignUp: () => void;
  /** Why the user is here again (a session that ended), if that is why. */
  readonly notice?: string | undefined;
}

export function SignIn({ onSignedIn, onSignUp, notice }: SignInProps) {
  useScreenTitle('Sign in');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setErrors(NO_ERRORS);
    try {
      onSignedIn(await logIn(username.trim(), password));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      setErrors(signInErrors(error));
      setBusy(false);
    }
  };

  return (
    <AccountCard title="Sign in">
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <form onSubmit={(e) => void submit(e)} noValidate aria-busy={busy}>
        <Field
          label="Username"
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          autoCorrect="off"
          spellCheck={false}
          autoFocus
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <FormError message={errors.form} />
        <button type="submit" className="primary">
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <ProviderButtons />
      <p className="switch">
        New to Parley?{' '}
        <a
          href="/sign-up"
          onClick={(e) => {
            e.preventDefault();
            onSignUp();
          }}
        >
          Create an account
        </a>
      </p>
    </AccountCard>
  );
}
