{
  "targets": [
    {
      "target_name": "fustor_scan",
      "sources": ["list-dir.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-ffp-contract=off"]
    }
  ]
}
