import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { DEFAULT_SETTINGS } from "./api";
import { translator, type Translate } from "./i18n";
import type { ConsoleSettings, Language, Me } from "./types";

export interface Session {
  t: Translate;
  language: Language;
  me: Me;
  settings: ConsoleSettings;
}

export const SessionContext = createContext<Session>({
  t: translator("zh-CN"),
  language: "zh-CN",
  me: { name: "", role: "viewer", kind: "user", csrf_token: "", language: "zh-CN" },
  settings: DEFAULT_SETTINGS,
});

export function useSession(): Session {
  return useContext(SessionContext);
}
