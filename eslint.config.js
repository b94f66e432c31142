import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly", Buffer: "readonly", URL: "readonly", AbortController: "readonly", AbortSignal: "readonly", fetch: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-restricted-syntax": ["error", { selector: "TSEnumDeclaration", message: "Use `as const` unions instead of enums." }],
    },
  },
  {
    // Core code stays free of I/O libraries: only adapters import them (ARCHITECTURE.md habit 2).
    files: ["src/policy/**/*.ts", "src/model/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: ["dockerode", "better-sqlite3", "node:fs", "node:child_process", "fs", "child_process", "**/cli/*"] }],
    },
  },
  {
    // Only the command line knows it is a command line: lower layers take narrow inputs.
    files: ["src/**/*.ts"],
    ignores: ["src/cli/**", "src/**/*.test.ts", "src/policy/**", "src/model/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["**/cli/*"], message: "Only src/cli imports src/cli; take a narrow input (see src/compose/host-context.ts)." }] }],
    },
  },
);
