#!/usr/bin/perl
# Deterministic benchmark data for scripts/bench (fixed seeds, no dependence on perl's rand):
#   gen-tree.pl tree OUT SCALE        OUT/files/aNN/bNN/cNN/fNNNNNN.txt: 200k*SCALE small text
#                                     files (log-uniform 64 B..16 KiB) in nested dirs, and
#                                     OUT/big.bin: 400 MB*SCALE, 1/16 pseudo-random bytes and 15/16
#                                     text per MiB (gzip ratio about 2.4x). Directory names differ
#                                     per level: archivemount 0.8.7 misfiles paths that repeat a
#                                     component (a/a/a/f shows up as a/a/f).
#   gen-tree.pl wide OUT SCALE        OUT/files/dNN/eNNN/fNNNNNN.txt: the same 200k*SCALE small
#                                     files spread over fewer, larger directories (24 top dirs of
#                                     100 leaf dirs at scale 1: ~83 files a directory), no big file
#   gen-tree.pl top OUT LIST SEED N   a small upper layer over the files named in LIST (one
#                                     relative path a line): N/2 rewritten, N/4 deleted (as
#                                     .wh. whiteouts), N/4 added; SEED picks which
use strict;
use warnings;

my $state;
# xorshift32: the only source of randomness, so the data is the same on every machine.
sub rnd {
  $state ^= ($state << 13) & 0xffffffff;
  $state ^= $state >> 17;
  $state ^= ($state << 5) & 0xffffffff;
  return $state;
}
sub below { my ($n) = @_; return rnd() % $n; }

# A text corpus of pseudo-words, as lines of 4..14 words, about `size` bytes long.
sub corpus {
  my ($size) = @_;
  my @letters = split //, 'etaoinshrdlcumwfgypbvkjxqz';
  my @words;
  for (1 .. 3000) {
    my $len = 2 + below(9);
    my $w = '';
    $w .= $letters[int((below(676) ** 0.5))] for 1 .. $len;
    push @words, $w;
  }
  my $text = '';
  while (length($text) < $size) {
    my $n = 4 + below(11);
    my @line = map { $words[below(scalar @words) * below(scalar @words) / scalar @words] } 1 .. $n;
    $text .= join(' ', @line) . "\n";
  }
  return $text;
}

sub write_file {
  my ($path, $data) = @_;
  open(my $fh, '>', $path) or die "gen-tree: cannot write $path: $!\n";
  binmode $fh;
  print $fh $data or die "gen-tree: cannot write $path: $!\n";
  close($fh) or die "gen-tree: cannot write $path: $!\n";
}

sub mkdir_p {
  my ($dir) = @_;
  return if -d $dir;
  my $parent = $dir;
  $parent =~ s{/[^/]+$}{};
  mkdir_p($parent) if $parent ne $dir && $parent ne '';
  mkdir($dir) or -d $dir or die "gen-tree: cannot create $dir: $!\n";
}

# A text file of a log-uniform size between 64 B and 16 KiB, cut from the corpus at a line start.
sub small_file {
  my ($corpus) = @_;
  my $size = int(exp(log(64) + (below(1_000_000) / 1_000_000) * (log(16384) - log(64))));
  my $start = below(length($corpus) - 20000);
  my $nl = index($corpus, "\n", $start);
  $start = $nl + 1 if $nl >= 0;
  return substr($corpus, $start, $size);
}

sub gen_tree {
  my ($out, $scale) = @_;
  $state = 0x1badb002;
  my $corpus = corpus(4 << 20);
  my $count = int(200_000 * $scale + 0.5);
  $count = 100 if $count < 100;
  my $written = 0;
  my ($a, $b, $c) = (0, 0, 0);
  while ($written < $count) {
    my $dir = sprintf('%s/files/a%02d/b%02d/c%02d', $out, $a, $b, $c);
    mkdir_p($dir);
    my $n = 1 + below(49);
    for (1 .. $n) {
      last if $written >= $count;
      write_file(sprintf('%s/f%06d.txt', $dir, $written), small_file($corpus));
      ++$written;
    }
    # 20 leaf dirs per middle dir, 20 middle dirs per top dir.
    if (++$c == 20) { $c = 0; if (++$b == 20) { $b = 0; ++$a; } }
  }

  my $mib = int(400 * $scale * 1e6 / 1048576 + 0.5);
  $mib = 1 if $mib < 1;
  # Pseudo-random bytes: AES-128-CTR of zeros under a fixed key (fast and deterministic).
  open(my $random, '-|',
       'openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f'
           . ' -iv 0f0e0d0c0b0a09080706050403020100 -in /dev/zero 2>/dev/null')
      or die "gen-tree: cannot run openssl: $!\n";
  binmode $random;
  open(my $big, '>', "$out/big.bin") or die "gen-tree: cannot write $out/big.bin: $!\n";
  binmode $big;
  for (1 .. $mib) {
    my $noise = '';
    while (length($noise) < 65536) {
      my $got = read($random, $noise, 65536 - length($noise), length($noise));
      die "gen-tree: openssl stream ended\n" unless $got;
    }
    my $text = '';
    while (length($text) < 1048576 - 65536) {
      $text .= substr($corpus, below(length($corpus) - 8192), 4096);
    }
    print $big $noise, substr($text, 0, 1048576 - 65536) or die "gen-tree: write failed: $!\n";
  }
  close($big) or die "gen-tree: write failed: $!\n";
  close($random);  # openssl dies of SIGPIPE; that is expected
}

sub gen_wide {
  my ($out, $scale) = @_;
  $state = 0x5eed1e55;
  my $corpus = corpus(4 << 20);
  my $count = int(200_000 * $scale + 0.5);
  $count = 100 if $count < 100;
  my $leaves = int($count / 83 + 0.5);
  $leaves = 1 if $leaves < 1;
  for my $i (0 .. $count - 1) {
    my $leaf = $i % $leaves;
    my $dir = sprintf('%s/files/d%02d/e%03d', $out, int($leaf / 100), $leaf % 100);
    mkdir_p($dir);
    write_file(sprintf('%s/f%06d.txt', $dir, $i), small_file($corpus));
  }
}

sub gen_top {
  my ($out, $list, $seed, $n) = @_;
  $state = $seed & 0xffffffff || 1;
  open(my $fh, '<', $list) or die "gen-tree: cannot read $list: $!\n";
  my @files = grep { m{/f\d+\.txt$} } map { chomp; $_ } <$fh>;
  close($fh);
  my $corpus = corpus(1 << 20);
  my %used;
  my $pick = sub {
    for (1 .. 100) {
      my $f = $files[below(scalar @files)];
      next if $used{$f}++;
      return $f;
    }
    die "gen-tree: not enough files to pick from\n";
  };
  for (1 .. int($n / 2)) {  # rewritten
    my $f = $pick->();
    (my $dir = "$out/$f") =~ s{/[^/]+$}{};
    mkdir_p($dir);
    write_file("$out/$f", small_file($corpus));
  }
  for (1 .. int($n / 4)) {  # deleted
    my $f = $pick->();
    (my $dir = $f) =~ s{/[^/]+$}{};
    (my $base = $f) =~ s{^.*/}{};
    mkdir_p("$out/$dir");
    write_file("$out/$dir/.wh.$base", '');
  }
  for my $i (1 .. int($n / 4)) {  # added
    my $f = $pick->();
    (my $dir = $f) =~ s{/[^/]+$}{};
    mkdir_p("$out/$dir");
    write_file(sprintf('%s/%s/new%06d-%u.txt', $out, $dir, $i, $seed), small_file($corpus));
  }
}

my $mode = shift @ARGV // '';
if ($mode eq 'tree' && @ARGV == 2) {
  gen_tree(@ARGV);
} elsif ($mode eq 'wide' && @ARGV == 2) {
  gen_wide(@ARGV);
} elsif ($mode eq 'top' && @ARGV == 4) {
  gen_top(@ARGV);
} else {
  die "usage: gen-tree.pl tree OUT SCALE | wide OUT SCALE | top OUT LIST SEED N\n";
}
