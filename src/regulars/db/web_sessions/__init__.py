"""Who is using the web pages: staff, a paired till and its cashier, members."""
