// Bolt for JavaScript peer of Cairn's /kudos command, used by `cargo bench --bench kudos_load -- --peer`.
// Written the way Bolt's documentation shows: default HTTPReceiver, a plain pg.Pool with default settings.
// Nothing here is tuned.
const fs = require('node:fs');
const path = require('node:path');
const { App } = require('@slack/bolt');
const { Pool } = require('pg');

const port = Number(process.env.PORT || 3000);

const pool = new Pool({ connectionString: process.env.DATABASE_URL });
// As node-postgres' docs advise: an idle client erroring must not crash the process.
pool.on('error', (err) => console.error('idle pg client error', err));

const app = new App({
  token: process.env.SLACK_BOT_TOKEN,
  signingSecret: process.env.SLACK_SIGNING_SECRET,
  // Default receiver (HTTPReceiver); the slash command URL configured in Slack is /slack/commands.
  endpoints: '/slack/commands',
  customRoutes: [
    {
      path: '/healthz',
      method: ['GET'],
      handler: (req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('ok');
      },
    },
  ],
  // Slack itself is unreachable here: every Web API call goes to the fake.
  clientOptions: { slackApiUrl: process.env.SLACK_API_URL },
});

const MENTION = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/;
const TAG = /^#([\w-]+)$/;

// "<@U1> <@U2|bob> #technical thanks for pairing" -> receivers, tags, message
function parseKudos(text) {
  const receivers = [];
  const tags = [];
  const words = [];
  for (const token of (text || '').trim().split(/\s+/)) {
    if (token === '') continue;
    const mention = MENTION.exec(token);
    const tag = TAG.exec(token);
    if (mention) {
      if (!receivers.includes(mention[1])) receivers.push(mention[1]);
    } else if (tag) {
      if (!tags.includes(tag[1])) tags.push(tag[1]);
    } else {
      words.push(token);
    }
  }
  return { receivers, tags, message: words.join(' ') };
}

function describe(message, tags) {
  return [message, ...tags.map((t) => `#${t}`)].filter((s) => s !== '').join(' ');
}

app.command('/kudos', async ({ command, ack, logger }) => {
  const { receivers, tags, message } = parseKudos(command.text);
  if (receivers.length === 0) {
    await ack({
      response_type: 'ephemeral',
      text: 'Who gets the kudos? Try `/kudos @someone thanks for ...` (add #tags if you like).',
    });
    return;
  }

  const what = describe(message, tags);
  let client;
  try {
    client = await pool.connect();
    await client.query('BEGIN');
    const { rows } = await client.query(
      'INSERT INTO peer_kudos (team_id, channel_id, giver_id, message, tags) VALUES ($1, $2, $3, $4, $5) RETURNING id',
      [command.team_id, command.channel_id, command.user_id, message, tags],
    );
    const kudosId = rows[0].id;
    for (const receiver of receivers) {
      await client.query('INSERT INTO peer_kudos_receivers (kudos_id, user_id) VALUES ($1, $2)', [kudosId, receiver]);
    }
    const dm = `<@${command.user_id}> gave you kudos: ${what}`;
    for (const receiver of receivers) {
      await client.query(
        "INSERT INTO peer_outbox (team_id, channel, text, status) VALUES ($1, $2, $3, 'pending')",
        [command.team_id, receiver, dm],
      );
    }
    await client.query('COMMIT');
  } catch (err) {
    if (client) await client.query('ROLLBACK').catch(() => {});
    logger.error('kudos not saved', err);
    await ack({ response_type: 'ephemeral', text: 'Your kudos was not saved, try again.' });
    return;
  } finally {
    if (client) client.release();
  }

  const to = receivers.map((r) => `<@${r}>`).join(', ');
  await ack({ response_type: 'in_channel', text: `<@${command.user_id}> gave kudos to ${to}: ${what}` });
});

async function main() {
  await pool.query(fs.readFileSync(path.join(__dirname, 'schema.sql'), 'utf8'));
  await app.start(port);
  console.log(`bolt peer listening on ${port}`);
}

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(0), 5000).unref();
  try {
    await app.stop();
  } catch (_) {}
  await pool.end().catch(() => {});
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

main().catch((err) => {
  console.error('bolt peer failed to start', err);
  process.exit(1);
});
