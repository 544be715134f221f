import type { AlertRow } from '../db/repositories/alerts.js';

export const ALERT_EVENTS = ['alert.opened', 'alert.escalated', 'alert.resolved'] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number];

const EMOJI: Record<AlertRow['severity'], string> = { critical: ':red_circle:', warning: ':large_orange_circle:', info: ':large_blue_circle:' };
const VERB: Record<AlertEvent, string> = { 'alert.opened': 'new', 'alert.escalated': 'escalated', 'alert.resolved': 'resolved' };

/** Slack's limits: a header block's text, a section's text, a message's fallback text. */
const HEADER_MAX = 150;
const SECTION_MAX = 3000;
const TEXT_MAX = 4000;

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
/** Slack mrkdwn treats &, < and > as control characters. */
const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The body of an alert notification: a Slack-compatible message (`text`, the fallback shown in
 * notifications, and `blocks`) that any incoming-webhook receiver (Slack, Mattermost, Rocket.Chat, a
 * custom service) accepts as it is, plus the Standard Webhooks envelope fields `type` and `timestamp`
 * and the structured `alert` for receivers that act on it.
 */
export function alertMessageBody(event: AlertEvent, alert: AlertRow, at: Date, publicUrl: string): string {
  const url = `${publicUrl}/v1/alerts/${alert.id}`;
  const emoji = event === 'alert.resolved' ? ':white_check_mark:' : EMOJI[alert.severity];
  // The daily job's titles start with the model's name already.
  const scope = alert.model && !alert.title.startsWith(`${alert.model}:`) ? ` · ${alert.model}` : '';
  const text = clip(`${emoji} [${alert.severity}${event === 'alert.opened' ? '' : `, ${VERB[event]}`}]${scope}: ${escape(alert.title)}`, TEXT_MAX);
  const detail = event === 'alert.resolved' && alert.resolution ? `${alert.detail}\n*Resolved:* ${alert.resolution}` : alert.detail;
  const seen = alert.count === 1 ? `once, ${alert.firstSeenAt.toISOString()}` : `${alert.count}× since ${alert.firstSeenAt.toISOString()} (last ${alert.lastSeenAt.toISOString()})`;
  const blocks = [
    { type: 'header', text: { type: 'plain_text', text: clip(`${event === 'alert.resolved' ? 'Resolved: ' : ''}${alert.title}`, HEADER_MAX), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: clip(escape(detail), SECTION_MAX) } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Severity*\n${emoji} ${alert.severity}${alert.peakSeverity !== alert.severity ? ` (peak ${alert.peakSeverity})` : ''}` },
        { type: 'mrkdwn', text: `*Model*\n${alert.model ? escape(alert.model) : '—'}` },
        { type: 'mrkdwn', text: `*Type*\n\`${escape(alert.type)}\`` },
        { type: 'mrkdwn', text: `*Seen*\n${seen}` },
      ],
    },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `Hindsight alert <${url}|${alert.id}> · ${VERB[event]} · status ${alert.status}` }] },
  ];
  return JSON.stringify({
    type: event,
    timestamp: at.toISOString(),
    text,
    blocks,
    alert: {
      id: alert.id,
      type: alert.type,
      severity: alert.severity,
      peakSeverity: alert.peakSeverity,
      status: alert.status,
      model: alert.model,
      title: alert.title,
      detail: alert.detail,
      count: alert.count,
      firstSeenAt: alert.firstSeenAt.toISOString(),
      lastSeenAt: alert.lastSeenAt.toISOString(),
      resolvedAt: alert.resolvedAt?.toISOString() ?? null,
      resolution: alert.resolution,
      url,
    },
  });
}
