// Adds ("install") or removes ("uninstall") the "switchboard" entry of the Claude Desktop config
// (claude_desktop_config.json), keeping every other entry and setting, after backing the old file up
// next to it. The token the entry held before, when it was for this same server, is written to the
// file named by the last argument so the installer can revoke it. "install" reads the token response
// on stdin. The last argument names the system Claude Desktop runs on: on "windows" and "wsl", npx
// (a .cmd script there, which a program cannot start directly) is started through cmd /c.
// Shared by install.sh (node -e) and install.ps1 (node FILE): the arguments are the last six.
// Never holds a single quote: install.sh embeds it in one.
const fs = require("fs");
const path = require("path");
const [mode, file, url, version, replacedFile, system] = process.argv.slice(-6);

function fail(message) {
  console.error(`Error: ${message}`);
  process.exit(1);
}

function readConfig() {
  if (!fs.existsSync(file)) return null;
  const text = fs.readFileSync(file, "utf8").replace(/^\uFEFF/, "");
  let config;
  try {
    config = text.trim() ? JSON.parse(text) : {};
  } catch (e) {
    fail(`${file} is not valid JSON; fix it (or move it away) and run the installer again.`);
  }
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    fail(`${file} does not hold a JSON object; fix it and run the installer again.`);
  }
  return config;
}

function backUp() {
  const d = new Date();
  const two = (n) => String(n).padStart(2, "0");
  const stamp = `${d.getFullYear()}${two(d.getMonth() + 1)}${two(d.getDate())}-${two(d.getHours())}${two(d.getMinutes())}${two(d.getSeconds())}`;
  let backup = `${file}.bak-${stamp}`;
  for (let n = 1; fs.existsSync(backup); n++) backup = `${file}.bak-${stamp}-${n}`;
  fs.copyFileSync(file, backup);
  console.log(`Backed up the previous config to ${backup}`);
}

function servers(config) {
  const found = config.mcpServers;
  config.mcpServers = found && typeof found === "object" && !Array.isArray(found) ? found : {};
  return config.mcpServers;
}

// Only a token for this same server is ever sent to it for revocation.
function keepReplacedToken(entries) {
  const previous = entries.switchboard;
  const header = previous && previous.env && previous.env.AUTH_HEADER;
  if (typeof header === "string" && header.startsWith("Bearer ") && Array.isArray(previous.args)
      && previous.args.includes(`${url}/mcp`)) {
    fs.writeFileSync(replacedFile, header.slice("Bearer ".length), { mode: 0o600 });
  }
}

function save(config) {
  const temporary = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(temporary, JSON.stringify(config, null, 2) + "\n", { mode: 0o600 });
  fs.renameSync(temporary, file);
}

function install(token) {
  if (typeof token !== "string" || !token) fail("Switchboard sent no token.");
  let config = readConfig();
  if (config) {
    backUp();
  } else {
    config = {};
    fs.mkdirSync(path.dirname(file), { recursive: true });
  }
  const entries = servers(config);
  keepReplacedToken(entries);
  const args = ["-y", `mcp-remote@${version}`, `${url}/mcp`, "--header", "Authorization:${AUTH_HEADER}"];
  if (url.startsWith("http://")) args.push("--allow-http");
  const env = { AUTH_HEADER: `Bearer ${token}` };
  entries.switchboard = system === "windows" || system === "wsl"
    ? { command: "cmd", args: ["/c", "npx", ...args], env }
    : { command: "npx", args, env };
  save(config);
}

function uninstall() {
  const config = readConfig();
  const found = config && config.mcpServers;
  if (!found || typeof found !== "object" || !Object.prototype.hasOwnProperty.call(found, "switchboard")) {
    console.log(`Claude Desktop has no Switchboard entry in ${file}; nothing to remove there.`);
    return;
  }
  backUp();
  keepReplacedToken(found);
  delete found.switchboard;
  save(config);
  console.log(`Removed the Switchboard entry from ${file}`);
}

if (mode === "uninstall") {
  uninstall();
} else {
  let input = "";
  process.stdin.on("data", (chunk) => { input += chunk; }).on("end", () => {
    let token;
    try { token = JSON.parse(input).access_token; } catch (e) { token = undefined; }
    install(token);
  });
}
