"""Messages to members' phones and the one-time codes sent through them."""
