// GET /v1/models and /v1/models/{id}: the model list, precomputed at startup. A request carrying
// `anthropic-version` (every Anthropic SDK call does) gets Anthropic's shape, any other OpenAI's; an unknown
// id is the API's 404. Any model name is accepted by the other endpoints: the list is what clients discover.
import type { AiCall, Family } from './call.js';
import { AiInputError } from './errors.js';

/** The models listed, as [id, owner]. */
export const Models: readonly (readonly [string, string])[] = [
  ['gpt-4o', 'openai'], ['gpt-4o-mini', 'openai'], ['gpt-4.1', 'openai'], ['o4-mini', 'openai'],
  ['text-embedding-3-small', 'openai'], ['text-embedding-3-large', 'openai'],
  ['claude-sonnet-4-5', 'anthropic'], ['claude-haiku-4-5', 'anthropic'], ['claude-opus-4-1', 'anthropic'],
];
const Created = 1_700_000_000;
const CreatedAt = new Date(Created * 1000).toISOString();

const openaiModel = (id: string, owner: string): Record<string, unknown> => ({ id, object: 'model', created: Created, owned_by: owner });
const anthropicModel = (id: string): Record<string, unknown> => ({ type: 'model', id, display_name: id, created_at: CreatedAt });

const OpenaiList = Buffer.from(JSON.stringify({ object: 'list', data: Models.map(([id, o]) => openaiModel(id, o)) }));
const AnthropicList = Buffer.from(JSON.stringify({
  data: Models.map(([id]) => anthropicModel(id)), has_more: false, first_id: Models[0][0], last_id: Models[Models.length - 1][0],
}));
const OpenaiOne = new Map(Models.map(([id, o]) => [id, Buffer.from(JSON.stringify(openaiModel(id, o)))]));
const AnthropicOne = new Map(Models.map(([id]) => [id, Buffer.from(JSON.stringify(anthropicModel(id)))]));

interface Extra {
  readonly anthropic: boolean;
  readonly body: Buffer;
}

function none(): never {
  throw new Error('models do not stream');
}

/** GET /v1/models (one = false) or /v1/models/{id} (one = true; the id is the call's model). */
function modelsFamily(one: boolean): Family {
  return {
    api: 'openai',
    pattern: one ? '/v1/models/:id' : '/v1/models',
    method: 'get',
    early: false,
    read(call: AiCall) {
      const anthropic = typeof call.extra === 'string' && call.extra.length !== 0;
      if (anthropic) call.api = 'anthropic';
      let body: Buffer | undefined = anthropic ? AnthropicList : OpenaiList;
      if (one) {
        body = (anthropic ? AnthropicOne : OpenaiOne).get(call.model);
        if (body === undefined) {
          throw new AiInputError(`The model '${call.model}' does not exist or you do not have access to it.`, null, 'model_not_found', 404);
        }
      }
      call.extra = { anthropic, body } satisfies Extra;
      if (anthropic) call.api = 'anthropic';
    },
    body(call: AiCall) {
      return (call.extra as Extra).body;
    },
    open: none,
    frame: none,
    close: none,
    broken: none,
  };
}

/** GET /v1/models. */
export const modelListFamily = modelsFamily(false);
/** GET /v1/models/{id}. */
export const modelFamily = modelsFamily(true);
