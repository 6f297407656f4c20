// What the browser end-to-end scripts share: the step runner (one JSON
// line per step on stdout; once a step fails the rest are reported as not
// run; a time limit per step and one for the whole run) and the one way
// they launch Debian's Chromium through playwright-core (no browser
// download; flags that keep it off the network but for the pages under test).

// runner returns step(name, fn), which runs fn within stepMs and reports
// it, and finish(cleanup), which ends the process: exit status 0 only if
// every step passed. describeFailure, if given, adds context to a failed
// step's report (say, the page it was on).
export function runner({ stepMs, totalMs, describeFailure }) {
  const report = (name, ok, detail) => console.log(JSON.stringify({ step: name, ok, detail: detail ?? "" }));
  const overall = setTimeout(() => {
    report("total-time", false, `run exceeded ${totalMs} ms`);
    process.exit(1);
  }, totalMs);
  let failed = false;
  const step = async (name, fn) => {
    if (failed) {
      report(name, false, "not run: an earlier step failed");
      return;
    }
    let timer;
    try {
      const detail = await Promise.race([
        fn(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`step exceeded ${stepMs} ms`)), stepMs);
        }),
      ]);
      report(name, true, detail);
    } catch (e) {
      failed = true;
      const more = describeFailure ? await describeFailure().catch(() => "") : "";
      report(name, false, `${String(e?.message ?? e)}${more}`);
    } finally {
      clearTimeout(timer);
    }
  };
  const finish = async (cleanup) => {
    clearTimeout(overall);
    await cleanup?.().catch(() => {});
    process.exit(failed ? 1 : 0);
  };
  return { step, finish };
}

// launch starts headless Chromium (CHROMIUM, or Debian's /usr/bin/chromium).
export function launch(chromium, timeout) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    timeout,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--no-proxy-server",
    ],
  });
}
