#!/bin/sh
# Regenerates fixtures.json with WordPress's own PHP (Debian packages
# wordpress and php-cli). Run from anywhere:
#   sh auth/wordpress/testdata/make_fixtures.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
php "$here/make_fixtures.php" > "$here/fixtures.json.tmp"
mv "$here/fixtures.json.tmp" "$here/fixtures.json"
echo "wrote $here/fixtures.json"
