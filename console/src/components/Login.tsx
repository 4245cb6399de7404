import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api } from "../api";
import type { Translate } from "../i18n";
import type { Language, Me } from "../types";

interface Props {
  t: Translate;
  language: Language;
  onLanguage(language: Language): void;
  onLoggedIn(me: Me): void;
}

export function Login({ t, language, onLanguage, onLoggedIn }: Props) {
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const nameRef = useRef<HTMLInputElement>(null);
  useEffect(() => nameRef.current?.focus(), []);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    try {
      const me = await api.login(name, password);
      setError("");
      onLoggedIn(me);
    } catch (failure) {
      const status = failure instanceof ApiError ? failure.status : 0;
      setError(status === 401 || status === 403 ? t("login.wrong")
        : status === 429 ? t("login.locked") : t("login.failed"));
    } finally {
      setPassword("");
      setBusy(false);
    }
  };

  return (
    <section id="login" class="login">
      <form id="login-form" class="login-form" onSubmit={submit}>
        <h1>{t("login.heading")}</h1>
        <label>
          {t("login.name")}
          <input id="login-name" ref={nameRef} autocomplete="username" required value={name}
                 onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          {t("login.password")}
          <input id="login-password" type="password" autocomplete="current-password" required
                 value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        <button type="submit" class="primary" disabled={busy}>{t("login.submit")}</button>
        <div id="login-error" role="alert" class="error-text">{error}</div>
        <button type="button" class="link" lang={language === "en" ? "zh-CN" : "en"}
                onClick={() => onLanguage(language === "en" ? "zh-CN" : "en")}>
          {t("header.language")}
        </button>
      </form>
    </section>
  );
}
