"""Operations: what the service tells about itself while it runs."""
