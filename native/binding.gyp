{
  "targets": [
    {
      "target_name": "store_native",
      "sources": ["store_native.c"],
      "cflags": ["-O2", "-Wall", "-pthread"],
      "ldflags": ["-pthread"]
    }
  ]
}
