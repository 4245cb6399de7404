// Reads CAP 1.2 messages with @dec112/cap-ts, an independent CAP parser, and prints what it
// read back: stdin is a JSON array of XML strings, stdout a JSON array with, per message,
// the fields as plain values (enumerations by their CAP names) or {"error": "..."}.
"use strict";

const { CAP_1_2: cap } = require("@dec112/cap-ts");

const optional = (value) => (value === undefined || value === null ? undefined : String(value));
// cap-ts leaves a list undefined when the message has none of its elements.
const all = (list) => list ?? [];

function info(item) {
  return {
    language: optional(item.language),
    categories: all(item.category_list).map(
      (c) => cap._to_string_Alert_info_list_info_category_list_category(c)),
    event: item.event,
    responseTypes: all(item.responseType_list).map(
      (r) => cap._to_string_Alert_info_list_info_responseType_list_responseType(r)),
    urgency: cap._to_string_Alert_info_list_info_urgency(item.urgency),
    severity: cap._to_string_Alert_info_list_info_severity(item.severity),
    certainty: cap._to_string_Alert_info_list_info_certainty(item.certainty),
    senderName: optional(item.senderName),
    headline: optional(item.headline),
    description: optional(item.description),
    instruction: optional(item.instruction),
    web: optional(item.web),
    parameters: all(item.parameter_list).map((p) => [p.valueName, p.value]),
    resources: all(item.resource_list).map((r) => ({
      resourceDesc: r.resourceDesc,
      mimeType: r.mimeType,
      size: optional(r.size),
      uri: optional(r.uri),
      digest: optional(r.digest),
    })),
    areas: all(item.area_list).map((a) => ({
      areaDesc: a.areaDesc,
      polygons: all(a.polygon_list).map(String),
      circles: all(a.circle_list).map(String),
    })),
  };
}

async function read(xml) {
  try {
    const alert = await cap.Alert.fromXML(xml);
    return {
      identifier: alert.identifier,
      sender: alert.sender,
      sent: String(alert.sent),
      status: cap._to_string_Alert_status(alert.status),
      msgType: cap._to_string_Alert_msgType(alert.msgType),
      scope: cap._to_string_Alert_scope(alert.scope),
      restriction: optional(alert.restriction),
      note: optional(alert.note),
      references: optional(alert.references),
      incidents: optional(alert.incidents),
      infos: all(alert.info_list).map(info),
    };
  } catch (error) {
    return { error: String(error && error.message ? error.message : error) };
  }
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const messages = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const readings = [];
  for (const xml of messages) readings.push(await read(xml));
  process.stdout.write(JSON.stringify(readings));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(1);
});
