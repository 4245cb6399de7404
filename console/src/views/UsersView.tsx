import { useState } from "preact/hooks";
import { api } from "../api";
import { useSession } from "../context";
import { formatDateTime } from "../format";
import { errorText, useLoad } from "../hooks";
import { label } from "../i18n";
import type { Role, User } from "../types";

const ROLES: Role[] = ["viewer", "operator", "supervisor", "safety_chief", "admin"];

function asRole(value: string): Role {
  return (ROLES as string[]).includes(value) ? (value as Role) : "viewer";
}

function RoleSelect({ value, onChange, labelText }: { value: Role; onChange(role: Role): void; labelText: string }) {
  const { t } = useSession();
  return (
    <select value={value} aria-label={labelText} onChange={(e) => onChange(asRole(e.currentTarget.value))}>
      {ROLES.map((r) => <option key={r} value={r}>{label(t, "role", r)}</option>)}
    </select>
  );
}

function UserRow({ user, onChange }: { user: User; onChange(work: () => Promise<unknown>): void }) {
  const { t } = useSession();
  const [password, setPassword] = useState("");
  return (
    <tr data-user={user.name}>
      <td>{user.name}{user.display_name ? ` · ${user.display_name}` : ""}</td>
      <td><RoleSelect value={user.role} labelText={`${t("users.role")} ${user.name}`}
                      onChange={(role) => onChange(() => api.changeUser(user.name, { role }))} /></td>
      <td>{user.disabled ? t("users.disabled") : t("users.active")}
        <button type="button" class="small" onClick={() => onChange(() => api.changeUser(user.name, { disabled: !user.disabled }))}>
          {user.disabled ? t("users.enable") : t("users.disable")}</button></td>
      <td>
        <form class="inline-form" onSubmit={(e) => {
          e.preventDefault();
          const chosen = password;
          setPassword("");
          onChange(() => api.changeUser(user.name, { password: chosen }));
        }}>
          <input type="password" autocomplete="new-password" value={password} aria-label={`${t("users.newPassword")} ${user.name}`}
                 placeholder={t("users.newPassword")} onInput={(e) => setPassword(e.currentTarget.value)} />
          <button type="submit" class="small" disabled={password === ""}>{t("users.resetPassword")}</button>
        </form>
      </td>
    </tr>
  );
}

export function UsersView() {
  const { t } = useSession();
  const users = useLoad(() => api.users(), []);
  const tokens = useLoad(() => api.tokens(), []);
  const [message, setMessage] = useState("");
  const [error, setError] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("operator");
  const [password, setPassword] = useState("");
  const [tokenName, setTokenName] = useState("");
  const [tokenRole, setTokenRole] = useState<Role>("viewer");
  const [secret, setSecret] = useState("");
  const wrap = (work: () => Promise<unknown>): void => {
    setError(""); setMessage("");
    work().then(() => { setMessage(t("users.saved")); users.reload(); tokens.reload(); },
                (failure: unknown) => setError(t("action.refused") + errorText(failure)));
  };
  return (
    <section id="users" class="panel" aria-labelledby="users-heading">
      <h2 id="users-heading">{t("users.heading")}</h2>
      <div class="error-text" role="alert">{error}</div>
      <div class="ok-text" role="status">{message}</div>
      <div class="table-scroll">
        <table class="data-table">
          <thead><tr><th scope="col">{t("users.name")}</th><th scope="col">{t("users.role")}</th>
            <th scope="col">{t("users.active")}</th><th scope="col">{t("users.resetPassword")}</th></tr></thead>
          <tbody>{(users.data ?? []).map((u) => <UserRow key={u.name} user={u} onChange={wrap} />)}</tbody>
        </table>
      </div>
      <form class="action-form" onSubmit={(e) => {
        e.preventDefault();
        const chosen = password;
        setPassword("");
        wrap(() => api.addUser(name, role, chosen).then(() => setName("")));
      }}>
        <label>{t("users.name")}<input required value={name} onInput={(e) => setName(e.currentTarget.value)} /></label>
        <label>{t("users.role")}<RoleSelect value={role} labelText={t("users.role")} onChange={setRole} /></label>
        <label>{t("users.password")}<input required type="password" autocomplete="new-password" value={password}
                                           onInput={(e) => setPassword(e.currentTarget.value)} /></label>
        <button type="submit">{t("users.add")}</button>
      </form>

      <h2>{t("tokens.heading")}</h2>
      {secret ? <p class="secret" role="status">{t("tokens.secret")}<code>{secret}</code></p> : null}
      <div class="table-scroll">
        <table class="data-table">
          <thead><tr><th scope="col">{t("tokens.name")}</th><th scope="col">{t("users.role")}</th>
            <th scope="col">{t("tokens.createdBy")}</th><th scope="col" /></tr></thead>
          <tbody>
            {(tokens.data ?? []).map((k) => (
              <tr key={k.name}>
                <td>{k.name}</td><td>{label(t, "role", k.role)}</td>
                <td>{k.created_by ?? ""} {k.created_at ? formatDateTime(k.created_at) : ""}</td>
                <td>{k.revoked ? t("tokens.revoked")
                  : <button type="button" class="small" onClick={() => wrap(() => api.revokeToken(k.name))}>{t("tokens.revoke")}</button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form class="action-form" onSubmit={(e) => {
        e.preventDefault();
        wrap(() => api.addToken(tokenName, tokenRole).then((issued) => {
          setSecret(issued.secret ?? issued.token ?? "");
          setTokenName("");
        }));
      }}>
        <label>{t("tokens.name")}<input required pattern="[A-Za-z0-9_.\-]+" value={tokenName}
                                        onInput={(e) => setTokenName(e.currentTarget.value)} /></label>
        <label>{t("users.role")}<RoleSelect value={tokenRole} labelText={t("users.role")} onChange={setTokenRole} /></label>
        <button type="submit">{t("tokens.add")}</button>
      </form>
    </section>
  );
}
