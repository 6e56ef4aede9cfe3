export { Button } from "./button";
export type { ButtonProps } from "./button";
export { Input, Textarea, Select, Field, Switch } from "./field";
export type { FieldProps, SwitchProps } from "./field";
export { Spinner, Skeleton, TableSkeleton, EmptyState, ErrorState, Alert } from "./feedback";
export { PageHeader, Card, CardHeader, Badge, Kbd, table } from "./layout";
export { Dialog } from "./dialog";
export { ToastProvider, useToast } from "./toast";
export { CopyField } from "./copy-field";
