"""The 巡检 of a unit's public website (docs/monitor.md): a polite same-origin crawl or an offline mirror, each page's
main content without the site's chrome, attachments through the same intake as drafts, every resource matched with
the approved versions it is handed (signed / changed / unsigned / unreadable) and scanned with the current rules.
No database here: reviewer.workflow.monitor reads the approved versions and records the runs."""
