/** A form's error that belongs to no one field; always in the page, so its text is announced. */
export function FormError({ message }: { readonly message: string | undefined }) {
  return (
    <div
      className={message ? 'form-error form-error-shown' : 'form-error'}
      role="alert"
      aria-live="assertive"
    >
      {message ?? ''}
    </div>
  );
}
