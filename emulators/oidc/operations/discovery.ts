// GET /.well-known/openid-configuration: the provider metadata (OpenID Connect Discovery 1.0 §3).
import type { Operation } from '../context.js';

export const discovery: Operation = (ctx) => ({
  status: 200,
  body: {
    issuer: ctx.issuer,
    authorization_endpoint: `${ctx.issuer}/authorize`,
    token_endpoint: `${ctx.issuer}/token`,
    jwks_uri: `${ctx.issuer}/jwks`,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid'],
    claims_supported: ['sub', 'roles'],
    authorization_response_iss_parameter_supported: true,
  },
});
