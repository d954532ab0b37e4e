"""Everything a deployment needs: starting the system (stack, run), infrastructure scripts."""
