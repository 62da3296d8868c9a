import { afterEach, describe, expect, it } from "vitest";
import { mountSettings, type SettingsApp } from "../src/settings/app";
import { $, candidate, mockBackend, mountPoint, resetDom, settingsBackend, waitFor } from "./helpers";

let app: SettingsApp | null = null;
afterEach(() => {
  app?.destroy();
  app = null;
  resetDom();
});

const candidates = [
  candidate("a"),
  candidate("b"),
  candidate("c"),
  candidate("broken", { roleArn: "arn:aws:s3:::x", problem: "role_arn: is an ARN of service \"s3\", not iam" }),
  candidate("old", { alreadyImported: true }),
];

const box = (profile: string) => $<HTMLInputElement>(`[data-testid="import-check-${profile}"]`);

describe("import", () => {
  it("sends exactly the chosen profiles", async () => {
    const backend = mockBackend({
      ...settingsBackend(),
      import_candidates: () => candidates,
      import_profiles: ({ profiles }) => profiles,
    });
    app = await mountSettings(mountPoint(), { tab: "import" });
    await waitFor(() => document.querySelector('[data-testid="import-check-a"]'));
    const run = $<HTMLButtonElement>("#import-run");
    expect(run.disabled).toBe(true);

    box("c").click();
    box("a").click();
    box("b").click();
    box("b").click(); // unchecked again
    expect(run.disabled).toBe(false);
    expect(run.textContent).toBe("Import 2 profiles");
    run.click();
    await waitFor(() => backend.of("import_profiles").length === 1);
    expect(backend.of("import_profiles")[0]!.args).toEqual({ profiles: ["a", "c"] });
    await waitFor(() => $("#import-status").textContent === "Imported a, c.");
  });

  it("disables rows with a problem or already imported, and Select all skips them", async () => {
    const backend = mockBackend({
      ...settingsBackend(),
      import_candidates: () => candidates,
      import_profiles: ({ profiles }) => profiles,
    });
    app = await mountSettings(mountPoint(), { tab: "import" });
    await waitFor(() => document.querySelector('[data-testid="import-check-a"]'));
    expect(box("broken").disabled).toBe(true);
    expect($('[data-testid="import-problem-broken"]').textContent).toBe('role_arn: is an ARN of service "s3", not iam');
    expect(box("old").disabled).toBe(true);
    expect($('[data-testid="import-item-old"]').classList.contains("is-imported")).toBe(true);

    $<HTMLInputElement>("#import-select-all").click();
    expect($("#import-count").textContent).toBe("3 of 3 selected");
    $<HTMLButtonElement>("#import-run").click();
    await waitFor(() => backend.of("import_profiles").length === 1);
    expect(backend.of("import_profiles")[0]!.args).toEqual({ profiles: ["a", "b", "c"] });
  });

  it("shows an import error with its code", async () => {
    mockBackend({
      ...settingsBackend(),
      import_candidates: () => candidates,
      import_profiles: () => {
        throw { code: "config_file.unparseable", message: "~/.aws/config line 3: expected [section]" };
      },
    });
    app = await mountSettings(mountPoint(), { tab: "import" });
    await waitFor(() => document.querySelector('[data-testid="import-check-a"]'));
    box("a").click();
    $<HTMLButtonElement>("#import-run").click();
    const error = await waitFor(() => document.querySelector<HTMLElement>("#import-error:not([hidden])"));
    expect(error.querySelector(".error-code")?.textContent).toBe("config_file.unparseable");
  });

  it("shows an SSO profile's IAM Identity Center source and the role it stands for", async () => {
    const sso = candidate("sso-dev", {
      roleArn: "arn:aws:iam::123456789012:role/Developer",
      sourceProfile: null,
      sso: {
        session: "corp",
        startUrl: "https://corp.awsapps.com/start",
        region: "eu-west-1",
        accountId: "123456789012",
        roleName: "Developer",
        source: "corp",
      },
    });
    mockBackend({ ...settingsBackend(), import_candidates: () => [sso, candidate("a")] });
    app = await mountSettings(mountPoint(), { tab: "import" });
    await waitFor(() => document.querySelector('[data-testid="import-check-sso-dev"]'));
    const item = $('[data-testid="import-item-sso-dev"]');
    expect(item.querySelector(".item-details")!.textContent).toBe("IAM Identity Center (corp)");
    expect(item.querySelector(".item-sub")!.textContent).toBe("arn:aws:iam::123456789012:role/Developer");
    expect(box("sso-dev").disabled).toBe(false);
    expect($('[data-testid="import-item-a"] .item-details').textContent).toBe("from default");
  });
});
