// Creates a blob container in Azurite: node container.js URL CONTAINER
// (URL the account's endpoint, http://127.0.0.1:PORT/devstoreaccount1),
// signed with the well-known development account's key (Shared Key).
// object_store writes blobs but creates no containers.
"use strict";
const crypto = require("crypto");
const http = require("http");

const [endpoint, container] = process.argv.slice(2);
const account = "devstoreaccount1";
const key = Buffer.from(
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
  "base64",
);
const url = new URL(`${endpoint.replace(/\/$/, "")}/${container}?restype=container`);
const date = new Date().toUTCString();
const version = "2021-08-06";
const toSign = [
  "PUT", "", "", "", "", "", "", "", "", "", "", "",
  `x-ms-date:${date}\nx-ms-version:${version}`,
  `/${account}${url.pathname}\nrestype:container`,
].join("\n");
const signature = crypto.createHmac("sha256", key).update(toSign, "utf8").digest("base64");
const request = http.request(url, {
  method: "PUT",
  headers: {
    "x-ms-date": date,
    "x-ms-version": version,
    "Content-Length": 0,
    Authorization: `SharedKey ${account}:${signature}`,
  },
}, (response) => {
  let body = "";
  response.on("data", (chunk) => { body += chunk; });
  response.on("end", () => {
    // 201: created; 409: it was there already.
    if (response.statusCode === 201 || response.statusCode === 409) process.exit(0);
    console.error(`container.js: ${response.statusCode} ${body}`);
    process.exit(1);
  });
});
request.on("error", (e) => { console.error(`container.js: ${e.message}`); process.exit(1); });
request.end();
