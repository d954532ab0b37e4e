"""Server-rendered pages: one blueprint per area of the team UI, plus the client portal."""
