/**
 * `GET /dashboard` — placeholder until the live dashboard lands.
 *
 * @since 0.1.0
 */
import { Layer } from "effect"
import type { Auth } from "./GatewayAuth.ts"

/** The dashboard's routes. */
export const dashboardRoutes = (_options: { readonly auth: Auth }) => Layer.empty
