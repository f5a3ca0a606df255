"""What the audit administrator (审计管理员) works with, above the trail itself (arrears/audit):
verifying both chains, archiving old rows, the audit pages and their exports (background
jobs)."""
