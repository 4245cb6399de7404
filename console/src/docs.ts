/** The API docs page: Swagger UI from our own files (no CDN), started without inline script. */
import "./docs.css";

interface SwaggerWindow extends Window {
  SwaggerUIBundle?: (options: { url: string; dom_id: string; deepLinking?: boolean }) => unknown;
}

const css = document.createElement("link");
css.rel = "stylesheet";
css.href = "/assets/swagger/swagger-ui.css";
document.head.append(css);

const script = document.createElement("script");
script.src = "/assets/swagger/swagger-ui-bundle.js";
script.onload = () => {
  const start = (window as SwaggerWindow).SwaggerUIBundle;
  if (start) start({ url: "/openapi.json", dom_id: "#swagger", deepLinking: true });
};
document.head.append(script);
