import { useRef, useState, type FormEvent, type KeyboardEvent } from 'react';

export interface ComposerProps {
  readonly onSend: (text: string) => Promise<void>;
  readonly onTyping: () => void;
}

/** The message field: Enter sends, Shift+Enter starts a new line; typing is told (the SDK throttles it). */
export function Composer({ onSend, onTyping }: ComposerProps) {
  const [text, setText] = useState('');
  const field = useRef<HTMLTextAreaElement>(null);

  const send = async () => {
    // Parley refuses text that is only white space (PROTOCOL §2.5): nothing to send.
    if (!text.trim()) return;
    const sending = text;
    setText('');
    await onSend(sending);
    field.current?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void send();
    }
  };

  return (
    <form
      className="composer"
      onSubmit={(event: FormEvent<HTMLFormElement>) => {
        event.preventDefault();
        void send();
      }}
    >
      <label htmlFor="composer-text" className="visually-hidden">
        Message
      </label>
      <textarea
        id="composer-text"
        ref={field}
        rows={2}
        value={text}
        placeholder="Write a message"
        aria-describedby="composer-hint"
        maxLength={4000}
        onChange={(e) => {
          setText(e.target.value);
          if (e.target.value) onTyping();
        }}
        onKeyDown={onKeyDown}
      />
      <p id="composer-hint" className="visually-hidden">
        Enter sends, Shift and Enter starts a new line.
      </p>
      <button type="submit" className="primary send-button">
        Send
      </button>
    </form>
  );
}
