"""Link health: verdicts per check, states per link, fallbacks and reports."""
