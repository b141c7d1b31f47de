import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const RT_HOME = "/usr/share/request-tracker5";
const RT_SERVER = `${RT_HOME}/libexec/rt-server`;

/** Why a real RT cannot run here, or undefined when it can (Debian's request-tracker5 packages). */
export function requestTrackerMissing(): string | undefined {
  if (!existsSync(RT_SERVER)) return `Request Tracker 5 is not installed (${RT_SERVER} missing): run scripts/install-request-tracker.sh as root`;
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/**
 * A real Request Tracker 5 for tests: its own SQLite database and site configuration in a
 * temporary folder (nothing under /etc is touched), the standalone server on 127.0.0.1, and an auth
 * token for root made without prompts. About 10 s to start.
 */
export class RequestTracker {
  private process: ChildProcess | undefined;
  url = "";
  token = "";
  private readonly dir = mkdtempSync(join(tmpdir(), "enso-rt-"));

  private get env(): NodeJS.ProcessEnv {
    return { ...process.env, RT_SITE_CONFIG: join(this.dir, "RT_SiteConfig.pm"), RT_SITE_CONFIG_DIR: join(this.dir, "site.d"), PERL5LIB: `${RT_HOME}/lib` };
  }

  async start(): Promise<this> {
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    mkdirSync(join(this.dir, "site.d"));
    mkdirSync(join(this.dir, "mail"));
    writeFileSync(
      join(this.dir, "RT_SiteConfig.pm"),
      [
        `Set($rtname, 'enso-test');`,
        `Set($Organization, 'enso-test.invalid');`,
        `Set($DatabaseType, 'SQLite');`,
        `Set($DatabaseName, '${join(this.dir, "rt.sqlite")}');`,
        `Set($WebPort, ${port});`,
        `Set($WebPath, '');`,
        `Set($WebDomain, '127.0.0.1');`,
        `Set($WebBaseURL, 'http://127.0.0.1:${port}');`,
        `Set($MailCommand, 'mbox');`,
        `Set($LogDir, '${join(this.dir, "mail")}');`,
        `Set($LogToSTDERR, 'error');`,
        `Set($LogToSyslog, undef);`,
        `Set($CorrespondAddress, 'rt@enso-test.invalid');`,
        `Set($CommentAddress, 'rt-comment@enso-test.invalid');`,
        "1;",
        "",
      ].join("\n"),
    );
    await run("rt-setup-database-5", ["--action", "init", "--skip-create"], { env: this.env, timeout: 120_000 });
    const script = `use lib '${RT_HOME}/lib'; use RT; RT::LoadConfig(); RT::Init();
      my $root = RT::User->new(RT->SystemUser); $root->Load('root');
      my $token = RT::AuthToken->new(RT->SystemUser);
      my ($ok, $msg, $secret) = $token->Create(Owner => $root->id, Description => 'enso tests');
      die "token: $msg" unless $ok; print $secret;`;
    this.token = (await run("perl", ["-e", script], { env: this.env, timeout: 60_000 })).stdout.trim();
    this.process = spawn(RT_SERVER, ["--host", "127.0.0.1", "--port", String(port)], { env: this.env, stdio: "ignore" });
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const response = await fetch(`${this.url}/REST/2.0/rt`, { headers: { Authorization: `token ${this.token}` } });
        if (response.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline || this.process.exitCode !== null) throw new Error("Request Tracker did not start within 60 s");
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    return this;
  }

  /** GET on REST 2 as root, for reading back what the sink wrote. */
  async get(path: string): Promise<unknown> {
    const response = await fetch(`${this.url}/REST/2.0${path}`, { headers: { Authorization: `token ${this.token}` } });
    if (!response.ok) throw new Error(`RT GET ${path}: HTTP ${response.status}`);
    return response.json();
  }

  async stop(): Promise<void> {
    if (this.process && this.process.exitCode === null) {
      const exited = new Promise((resolve) => this.process?.once("exit", resolve));
      this.process.kill("SIGTERM");
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
