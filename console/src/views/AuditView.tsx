import { api } from "../api";
import { useSession } from "../context";
import { formatDateTime } from "../format";
import { useLoad } from "../hooks";
import { auditIntact, auditProblem } from "../types";

export function AuditView() {
  const { t } = useSession();
  const entries = useLoad(() => api.audit(300), []);
  const verify = useLoad(() => api.verifyAudit(), []);
  return (
    <section id="audit" class="panel" aria-labelledby="audit-heading">
      <h2 id="audit-heading">{t("audit.heading")}</h2>
      <div class="plan-bar">
        <button type="button" onClick={() => { verify.reload(); entries.reload(); }}>{t("audit.verify")}</button>
        {verify.data ? (
          <span id="audit-verify" class={auditIntact(verify.data) ? "ok-text" : "error-text"} role="status">
            {auditIntact(verify.data) ? t("audit.ok", { n: verify.data.entries })
              : t("audit.broken", { problem: auditProblem(verify.data) })}
          </span>
        ) : <span class="error-text">{verify.error}</span>}
      </div>
      {entries.error ? <p class="error-text">{t("common.error")}{entries.error}</p> : null}
      <div class="table-scroll">
        <table class="data-table">
          <thead><tr>
            <th scope="col">{t("audit.seq")}</th><th scope="col">{t("audit.at")}</th>
            <th scope="col">{t("audit.actor")}</th><th scope="col">{t("audit.action")}</th>
            <th scope="col">{t("audit.subject")}</th><th scope="col">{t("audit.detail")}</th>
            <th scope="col">{t("audit.address")}</th>
          </tr></thead>
          <tbody>
            {(entries.data ?? []).map((e) => (
              <tr key={e.seq}>
                <td>{e.seq}</td><td>{formatDateTime(e.at)}</td><td>{e.actor}</td><td>{e.action}</td>
                <td class="mono">{e.subject ?? e.target ?? ""}</td>
                <td class="mono small-text">{typeof e.detail === "string" ? e.detail : JSON.stringify(e.detail)}</td>
                <td>{e.address}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
