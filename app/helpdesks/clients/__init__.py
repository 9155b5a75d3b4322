"""One client per helpdesk (Zendesk, Freshdesk, Chatwoot, Standard Webhooks) behind one narrow
interface (`base.Helpdesk`), and the webhook signature schemes they use."""
