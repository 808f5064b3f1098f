"""The merchant side: orders, the callback handler and the HTTP app."""
