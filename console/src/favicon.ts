/** The tab's icon: a shield, red with the count while alerts wait (a data: URL, drawn). */
export function drawFavicon(count: number): void {
  const canvas = document.createElement("canvas");
  canvas.width = 64;
  canvas.height = 64;
  const g = canvas.getContext("2d");
  if (g === null) return;
  g.fillStyle = count > 0 ? "#d7263d" : "#2b8a3e";
  g.beginPath();
  g.arc(32, 32, 30, 0, Math.PI * 2);
  g.fill();
  g.fillStyle = "#ffffff";
  g.font = "bold 36px system-ui, sans-serif";
  g.textAlign = "center";
  g.textBaseline = "middle";
  g.fillText(count > 99 ? "99" : String(count), 32, 35);
  let link = document.querySelector<HTMLLinkElement>("link#favicon");
  if (link === null) {
    link = document.createElement("link");
    link.id = "favicon";
    link.rel = "icon";
    document.head.append(link);
  }
  link.href = canvas.toDataURL("image/png");
}
