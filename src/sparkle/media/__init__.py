"""Media uploads: byte-sniffed validation, image variants with blurhash, video posters, local
and S3 storage behind one interface, presigned direct uploads."""
