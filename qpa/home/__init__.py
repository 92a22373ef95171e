"""Each role's home page and the service navigation: the top floor, which gathers from
every app."""
