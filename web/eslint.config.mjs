import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

// Feature-Sliced Design, bottom to top. A layer imports only the layers
// below it; a slice never imports another slice of its own layer (inside a
// slice, use relative imports). shared has segments, not slices: they may
// import each other.
const layers = ["shared", "entities", "features", "widgets", "app"];
const sliced = new Set(["entities", "features", "widgets"]);

// A slice is used only through its public index.ts.
const publicApi = {
  group: ["@/entities/*/*", "@/features/*/*", "@/widgets/*/*"],
  message: "Import a slice through its public index.ts.",
};

/** The no-restricted-imports patterns for files of one layer. */
function layerPatterns(layer) {
  const above = layers.slice(layers.indexOf(layer) + 1).flatMap((higher) => {
    const message = `${layer} may not import ${higher}: a layer imports only the layers below it (shared ← entities ← features ← widgets ← app).`;
    // The alias, and a relative path that climbs into the higher layer
    // ("../../../features/x").
    return [
      { group: [`@/${higher}`, `@/${higher}/**`], message },
      { regex: `^(\\.\\.?/)+${higher}(/|$)`, message },
    ];
  });
  const same = sliced.has(layer)
    ? [
        {
          group: [`@/${layer}/*`],
          message: `A slice of ${layer} may not import another slice of ${layer}: move what both need down a layer. Inside a slice, use relative imports.`,
        },
      ]
    : [];
  return [publicApi, ...same, ...above];
}

// app/ is routes only: writes live in features.
const appPaths = [
  {
    name: "@tanstack/react-query",
    importNames: ["useMutation"],
    message: "app/ is routes only: put the mutation in a feature (src/features/<action>) and use that here.",
  },
];

export default [
  ...nextVitals,
  ...nextTs,
  { ignores: [".next/**", "out/**", "node_modules/**", "src/shared/api/schema.d.ts", "next-env.d.ts"] },
  {
    rules: {
      "no-restricted-imports": ["error", { patterns: [publicApi] }],
    },
  },
  ...layers.map((layer) => ({
    files: [`src/${layer}/**`],
    rules: {
      "no-restricted-imports": ["error", { patterns: layerPatterns(layer), ...(layer === "app" ? { paths: appPaths } : {}) }],
    },
  })),
];
