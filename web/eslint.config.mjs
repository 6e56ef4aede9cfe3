import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

export default [
  ...nextVitals,
  ...nextTs,
  { ignores: [".next/**", "out/**", "node_modules/**", "src/shared/api/schema.d.ts", "next-env.d.ts"] },
  {
    rules: {
      // Feature-Sliced Design: a slice is used only through its public index.ts.
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@/entities/*/*", "@/features/*/*", "@/widgets/*/*"],
              message: "Import a slice through its public index.ts.",
            },
          ],
        },
      ],
    },
  },
];
