import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, register, type SignedIn } from '../api';
import { Field } from '../components/Field';
import { FormError } from '../components/FormError';
import { ProviderButtons } from '../components/ProviderButtons';
import { useScreenTitle } from '../components/use-screen-title';
import { NO_ERRORS, signUpErrors, type AccountField, type FormErrors } from '../form-errors';
import { AccountCard } from '../components/AccountCard';

export interface SignUpProps {
  readonly onSignedUp: (session: SignedIn, displayName: string | undefined) => void;
  readonly onSignIn: () => void;
}

/** The order of the fields on the form: the first refused one gets the focus. */
const FIELDS: readonly AccountField[] = ['username', 'displayName', 'password'];

export function SignUp({ onSignedUp, onSignIn }: SignUpProps) {
  useScreenTitle('Create an account');
  const [values, setValues] = useState<Record<AccountField, string>>({
    username: '',
    displayName: '',
    password: '',
  });
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const inputs = useRef<Partial<Record<AccountField, HTMLInputElement | null>>>({});

  // The server's rules decide (PROTOCOL §1); the field it refused gets the focus, its error read with it.
  useEffect(() => {
    const refused = FIELDS.find((field) => errors.fields[field]);
    if (refused) inputs.current[refused]?.focus();
  }, [errors]);

  const change = (field: AccountField) => (event: { target: { value: string } }) =>
    setValues((current) => ({ ...current, [field]: event.target.value }));

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setErrors(NO_ERRORS);
    const displayName = values.displayName.trim() === '' ? undefined : values.displayName;
    try {
      const session = await register({
        username: values.username.trim(),
        password: values.password,
        ...(displayName === undefined ? {} : { displayName }),
      });
      onSignedUp(session, displayName?.trim());
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      setErrors(signUpErrors(error));
      setBusy(false);
    }
  };

  return (
    <AccountCard title="Create an account">
      <form onSubmit={(e) => void submit(e)} noValidate aria-busy={busy}>
        <Field
          ref={(element) => {
            inputs.current.username = element;
          }}
          label="Username"
          name="username"
          hint="3 to 32 characters: a–z, 0–9, _ . -"
          autoComplete="username"
          autoCapitalize="none"
          autoCorrect="off"
          spellCheck={false}
          autoFocus
          value={values.username}
          onChange={change('username')}
          error={errors.fields.username}
        />
        <Field
          ref={(element) => {
            inputs.current.displayName = element;
          }}
          label="Display name"
          name="displayName"
          hint="Optional: how others see you, up to 64 characters"
          autoComplete="name"
          value={values.displayName}
          onChange={change('displayName')}
          error={errors.fields.displayName}
        />
        <Field
          ref={(element) => {
            inputs.current.password = element;
          }}
          label="Password"
          name="password"
          type="password"
          hint="At least 8 characters"
          autoComplete="new-password"
          value={values.password}
          onChange={change('password')}
          error={errors.fields.password}
        />
        <FormError message={errors.form} />
        <button type="submit" className="primary">
          {busy ? 'Creating your account…' : 'Create account'}
        </button>
      </form>
      <ProviderButtons />
      <p className="switch">
        Have an account?{' '}
        <a
          href="/sign-in"
          onClick={(e) => {
            e.preventDefault();
            onSignIn();
          }}
        >
          Sign in
        </a>
      </p>
    </AccountCard>
  );
}
