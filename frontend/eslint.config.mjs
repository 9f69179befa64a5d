import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

const config = [
  ...nextVitals,
  ...nextTs,
  { ignores: [".next/**", "node_modules/**", "next-env.d.ts", "lib/api/schema.d.ts", "e2e/screenshots/**", "test-results/**", "playwright-report/**"] },
];

export default config;
