// The users API of the admin page: list users and tokens (never a hash), add a user, change a
// role or a password, remove a user, create a token (its text answered once) and revoke one. Rules:
// admin only (config.role); changes go through the user store, so they count on the next request
// on every instance (shared instances: the answer comes once the change is on the config topic); errors are catalogue errors (400 naming the field, 404, 409).
import type { FastifyInstance } from 'fastify';
import { InputError } from '../../common/errors.js';
import { errorReplySchema } from '../http-errors.js';
import { ROLES, type Role } from '../auth/roles.js';
import type { UserStore } from './user-store.js';

const config = { role: 'admin' } as const;
const tags = ['users'];
const nameParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$' } } } as const;
const userReply = { type: 'object', properties: { name: { type: 'string' }, role: { type: 'string', enum: [...ROLES] }, created: { type: 'string' }, source: { type: 'string', enum: ['file', 'config'] } } } as const;
const tokenReply = { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, role: { type: 'string', enum: [...ROLES] }, kind: { type: 'string', enum: ['user', 'service'] }, created: { type: 'string' } } } as const;

export function registerUserRoutes(app: FastifyInstance, users: UserStore): void {
  app.get('/api/users', { config, schema: { tags, summary: 'Users and tokens (no hashes)', response: { 200: { type: 'object', properties: { users: { type: 'array', items: userReply }, tokens: { type: 'array', items: tokenReply } } } } } }, () => users.list());

  app.post<{ Body: { name: string; role: Role; password: string } }>(
    '/api/users',
    {
      config,
      schema: {
        tags,
        summary: 'Add a user',
        body: { type: 'object', required: ['name', 'role', 'password'], additionalProperties: false, properties: { name: nameParams.properties.name, role: { type: 'string', enum: [...ROLES] }, password: { type: 'string', minLength: 8, maxLength: 1024 } } },
        response: { 201: userReply, 400: errorReplySchema, 409: errorReplySchema },
      },
    },
    async (req, reply) => {
      const added = await users.add(req.body.name, req.body.role, req.body.password);
      await users.settled();
      return reply.code(201).send(added);
    },
  );

  app.patch<{ Params: { name: string }; Body: { role?: Role; password?: string } }>(
    '/api/users/:name',
    {
      config,
      schema: {
        tags,
        summary: 'Change the role or the password of a user (a new password ends its sessions)',
        params: nameParams,
        body: { type: 'object', additionalProperties: false, properties: { role: { type: 'string', enum: [...ROLES] }, password: { type: 'string', minLength: 8, maxLength: 1024 } } },
        response: { 200: userReply, 400: errorReplySchema, 404: errorReplySchema },
      },
    },
    async (req) => {
      const { role, password } = req.body;
      if (role === undefined && password === undefined) throw new InputError('body', 'give role and/or password', { message: 'body: give role and/or password' });
      if (password !== undefined) await users.setPassword(req.params.name, password);
      if (role !== undefined) users.setRole(req.params.name, role);
      await users.settled();
      return users.list().users.find((u) => u.name === req.params.name);
    },
  );

  app.delete<{ Params: { name: string } }>('/api/users/:name', { config, schema: { tags, summary: 'Remove a user and its tokens (or a service\'s tokens)', params: nameParams, response: { 204: { type: 'null' }, 404: errorReplySchema } } }, async (req, reply) => {
    users.remove(req.params.name);
    await users.settled();
    return reply.code(204).send();
  });

  app.post<{ Params: { name: string }; Body: { role?: Role } }>(
    '/api/users/:name/tokens',
    {
      config,
      schema: {
        tags,
        summary: 'A bearer token for a user (at most its role) or a service (role required); the token is in this answer only',
        params: nameParams,
        body: { type: 'object', additionalProperties: false, properties: { role: { type: 'string', enum: [...ROLES] } } },
        response: { 201: { type: 'object', properties: { id: { type: 'string' }, token: { type: 'string' }, role: { type: 'string' } } }, 400: errorReplySchema },
      },
    },
    async (req, reply) => {
      const token = users.addToken(req.params.name, req.body?.role);
      await users.settled();
      return reply.code(201).send(token);
    },
  );

  app.delete<{ Params: { id: string } }>('/api/tokens/:id', { config, schema: { tags, summary: 'Revoke a token', params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9a-f]{12}$' } } }, response: { 204: { type: 'null' }, 404: errorReplySchema } } }, async (req, reply) => {
    users.removeToken(req.params.id);
    await users.settled();
    return reply.code(204).send();
  });
}
