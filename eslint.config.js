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
    // The launcher is CommonJS (bin/package.json).
    files: ["bin/**/*.js"],
    languageOptions: { sourceType: "commonjs", globals: { require: "readonly", __dirname: "readonly" } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // Type-aware rules on TypeScript sources: a promise nobody awaits or catches loses its error.
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { arguments: false, attributes: false } }],
    },
  },
  {
    // Only the command line knows it is a command line: lower layers take narrow inputs.
    files: ["src/**/*.ts"],
    ignores: ["src/cli/**", "src/**/*.test.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["**/cli/*"], message: "Only src/cli imports src/cli; take a narrow input (see src/compose/host-context.ts)." }] }],
    },
  },
  {
    // The pure core (model, policy, the deciding half of allocation, actions' plans) takes its inputs as
    // values and ports; only adapters import I/O libraries (docs/architecture.md). After the block above,
    // so its rule is replaced here by one that also keeps src/cli out.
    files: ["src/policy/**/*.ts", "src/model/**/*.ts", "src/actions/**/*.ts", "src/allocation/**/*.ts"],
    // The adapters among them: the reservation database and the broker's socket.
    ignores: ["src/allocation/reservation-store.ts", "src/allocation/broker/**", "**/*.test.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: ["dockerode", "better-sqlite3", "node:fs", "node:child_process", "fs", "child_process", "**/cli/*"] }],
    },
  },
);
