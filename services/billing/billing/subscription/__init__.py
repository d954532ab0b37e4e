"""The agency's own subscription to the platform, paid through the platform's Stripe account."""
