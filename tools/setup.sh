#!/bin/sh
#
# setup.sh: install what this project needs on a Debian or Ubuntu machine.
# `make demo` runs it first and so does .ci/run; it says what it is about
# to install before installing anything, and does nothing when all is
# there already.
#
#	sh tools/setup.sh		what make demo needs: the packages
#					below and the Rust kernel target
#	sh tools/setup.sh test		also what make test needs beyond
#					that: cargo-fuzz, and (best effort)
#					nightly Rust with Miri
#
# The packages go in with apt-get, as root or through sudo.  Rust itself
# (rustup, cargo) must be there already: see README.
set -eu

pkgs="
	libclang-dev clang binutils make
	python3
	mandoc
	qemu-system-x86
	bochs bochsbios vgabios bochs-term
	grub-pc-bin grub-common xorriso mtools
	bmake byacc flex lld patch xz-utils
	makefs
	gcc libc6-dev
"
# What each group is for, in the order above: bindgen, the C glue and the
# object checks; check-kobj's stack check and the bench profile; the man
# page lint; the testbed on SVM under QEMU TCG; the testbed on VMX and
# SVM under Bochs; Bochs's boot ISO; the OpenBSD kernel (regress/obsd);
# its root file system; the Linux guest's init.

if ! command -v cargo >/dev/null 2>&1 || ! command -v rustup >/dev/null 2>&1
then
	echo "setup: Rust is not installed; install it with rustup" \
	    "(https://rustup.rs), then run this again" >&2
	exit 1
fi

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
if [ -n "$missing" ]; then
	n=$(echo $missing | wc -w)
	echo "setup: installing $n Debian packages with apt-get:$missing"
	sudo=
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null 2>&1 || {
			echo "setup: not root and no sudo: install those" \
			    "packages, then run this again" >&2
			exit 1
		}
		sudo=sudo
	fi
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends $missing \
	    >/dev/null
	echo "setup: packages installed"
fi

if ! rustup target list --installed | grep -qx x86_64-unknown-none; then
	echo "setup: adding the Rust target x86_64-unknown-none (rustup)"
	rustup target add x86_64-unknown-none >/dev/null 2>&1
fi

[ "${1:-}" = test ] || exit 0

for c in clippy rustfmt; do
	rustup component list --installed | grep -q "^$c" || {
		echo "setup: adding the Rust component $c (rustup)"
		rustup component add $c >/dev/null 2>&1
	}
done
if ! command -v cargo-fuzz >/dev/null 2>&1; then
	echo "setup: installing cargo-fuzz (cargo install)"
	cargo install --locked -q cargo-fuzz
fi
# make sanitize needs nightly Rust, make miri its Miri; both say SKIP
# without, so these are best effort.
if ! cargo +nightly --version >/dev/null 2>&1; then
	echo "setup: installing nightly Rust (rustup; for make sanitize)"
	rustup toolchain install nightly --profile minimal >/dev/null 2>&1 ||
	    echo "setup: no nightly Rust: make sanitize and miri will SKIP"
fi
if cargo +nightly --version >/dev/null 2>&1 &&
    ! cargo +nightly miri --version >/dev/null 2>&1; then
	echo "setup: adding Miri to nightly Rust (rustup; for make miri)"
	rustup component add miri rust-src --toolchain nightly \
	    >/dev/null 2>&1 && cargo +nightly miri setup >/dev/null 2>&1 ||
	    echo "setup: no Miri: make miri will SKIP"
fi
exit 0
