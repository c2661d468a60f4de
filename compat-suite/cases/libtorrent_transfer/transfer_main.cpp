// transfer_main.cpp: two libtorrent sessions in one plugin, on one io_context of ours
// (so on the shared loop): one seeds a 1 MiB file, the other downloads it over
// 127.0.0.1; success is the downloader's torrent_finished_alert, a byte-for-byte
// comparison and a clean shutdown. Runs through the adapter: main is on a thread of the
// plugin's own, where libtorrent's synchronous session calls (post, then wait) may
// block; a second thread of ours parks in io_context::run() while the loop runs every
// handler.
//
// argv: <work directory> (the case passes {tmp}) tcp|utp [mmap] [own-thread] [ssl]
//   tcp|utp     the peers' transport (uTP: libtorrent's protocol over UDP)
//   mmap        libtorrent's default disk I/O (mmap_disk_io, with its own disk and
//               hashing threads) instead of posix_disk_io
//   own-thread  sessions without our io_context: each starts its network thread
//   ssl         an SSL torrent (TORRENT_SSL_PEERS): the peers talk TLS on the sessions'
//               SSL listen sockets, with a certificate made here as the torrent's root
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/posix_disk_io.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/session_params.hpp>
#include <libtorrent/settings_pack.hpp>
#include <libtorrent/torrent_handle.hpp>
#include <libtorrent/torrent_info.hpp>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
constexpr std::size_t payload_size = 1024 * 1024;

std::vector<char> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Both sessions: loopback only, nothing that reaches out (DHT is compiled out), posix
// disk I/O (no disk thread pool) unless o.mmap.
struct options {
  bool utp = false;
  bool mmap = false;
  bool own_thread = false;
  bool ssl = false;
};

// An SSL torrent's files: one self-signed certificate is the torrent's root and both
// peers' certificate (libtorrent accepts a peer whose certificate is signed by the
// root and names the torrent or "*").
struct ssl_files {
  std::string certificate, private_key, dh_params;
};

bool write_pem(const fs::path& path, const std::function<int(BIO*)>& write) {
  BIO* bio = BIO_new_file(path.c_str(), "w");
  bool ok = bio != nullptr && write(bio) == 1;
  BIO_free(bio);
  return ok;
}

bool make_ssl_files(const fs::path& dir, ssl_files& files) {
  files = {(dir / "peer.crt").string(), (dir / "peer.key").string(), (dir / "dh.pem").string()};
  EVP_PKEY* key = EVP_RSA_gen(2048);
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("*"), -1, -1,
                             0);
  X509_set_issuer_name(cert, name);
  bool ok = key != nullptr && X509_sign(cert, key, EVP_sha256()) > 0 &&
            write_pem(files.certificate, [&](BIO* b) { return PEM_write_bio_X509(b, cert); }) &&
            write_pem(files.private_key, [&](BIO* b) {
              return PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr);
            });
  X509_free(cert);
  EVP_PKEY_free(key);
  // RFC 7919's ffdhe2048 group: no slow parameter generation.
  EVP_PKEY* dh = nullptr;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "DH", nullptr);
  ok = ok && ctx != nullptr && EVP_PKEY_paramgen_init(ctx) > 0 &&
       EVP_PKEY_CTX_set_group_name(ctx, "ffdhe2048") > 0 && EVP_PKEY_paramgen(ctx, &dh) > 0 &&
       write_pem(files.dh_params, [&](BIO* b) { return PEM_write_bio_Parameters(b, dh); });
  EVP_PKEY_free(dh);
  EVP_PKEY_CTX_free(ctx);
  return ok;
}

lt::session_params session_params_for_case(const options& o) {
  lt::settings_pack pack;
  pack.set_bool(lt::settings_pack::enable_outgoing_utp, o.utp);
  pack.set_bool(lt::settings_pack::enable_incoming_utp, o.utp);
  pack.set_str(lt::settings_pack::listen_interfaces, o.ssl ? "127.0.0.1:0,127.0.0.1:0s" : "127.0.0.1:0");
  pack.set_bool(lt::settings_pack::enable_lsd, false);
  pack.set_bool(lt::settings_pack::enable_upnp, false);
  pack.set_bool(lt::settings_pack::enable_natpmp, false);
  pack.set_bool(lt::settings_pack::allow_multiple_connections_per_ip, true);
  pack.set_int(lt::settings_pack::alert_mask, lt::alert_category::status | lt::alert_category::error |
                                                  lt::alert_category::storage | lt::alert_category::connect);
  lt::session_params params(std::move(pack));
  params.disk_io_constructor = o.mmap ? lt::default_disk_io_constructor : lt::posix_disk_io_constructor;
  return params;
}

// Prints a session's alerts; true if one of type `wanted` was among them. An SSL
// torrent that asks for its certificate gets `ssl`'s.
bool drain_alerts(lt::session& s, const char* who, int wanted, const ssl_files* ssl, bool& failed) {
  std::vector<lt::alert*> alerts;
  s.pop_alerts(&alerts);
  bool seen = false;
  for (lt::alert* a : alerts) {
    std::printf("libtorrent_transfer: %s: %s: %s\n", who, a->what(), a->message().c_str());
    if (a->type() == wanted) seen = true;
    if (auto* need = lt::alert_cast<lt::torrent_need_cert_alert>(a); need && ssl)
      need->handle.set_ssl_certificate(ssl->certificate, ssl->private_key, ssl->dh_params);
    if (lt::alert_cast<lt::torrent_error_alert>(a) || lt::alert_cast<lt::file_error_alert>(a) ||
        lt::alert_cast<lt::listen_failed_alert>(a))
      failed = true;
  }
  std::fflush(stdout);
  return seen;
}

// Waits up to `limit` for an alert of type A from session s, printing the alerts of
// both sessions meanwhile.
template <class A>
bool wait_for(lt::session& s, const char* who, lt::session& other, const char* other_who,
              const ssl_files* ssl, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  bool failed = false;
  while (std::chrono::steady_clock::now() < deadline && !failed) {
    s.wait_for_alert(lt::milliseconds(200));
    if (drain_alerts(s, who, A::alert_type, ssl, failed)) return true;
    drain_alerts(other, other_who, -1, ssl, failed);
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  std::string variant;
  bool usage = argc < 3;
  for (int i = 2; i < argc; ++i) {
    const std::string word = argv[i];
    if (i == 2 && (word == "tcp" || word == "utp"))
      o.utp = word == "utp";
    else if (i > 2 && word == "mmap")
      o.mmap = true;
    else if (i > 2 && word == "own-thread")
      o.own_thread = true;
    else if (i > 2 && word == "ssl")
      o.ssl = true;
    else
      usage = true;
    variant += "_" + word;
  }
  if (usage) {
    std::fprintf(stderr, "usage: libtorrent_transfer <work directory> tcp|utp [mmap] [own-thread] [ssl]\n");
    return 2;
  }
  const fs::path work = fs::path(argv[1]) / ("libtorrent_transfer" + variant);
  const fs::path seed_dir = work / "seed", download_dir = work / "download";
  fs::remove_all(work);
  fs::create_directories(seed_dir);
  fs::create_directories(download_dir);

  std::vector<char> payload(payload_size);
  std::mt19937 random(20261201);
  for (char& c : payload) c = static_cast<char>(random());
  std::ofstream(seed_dir / "payload.bin", std::ios::binary).write(payload.data(), payload.size());

  // lt::create_torrent, and set_piece_hashes, which runs an io_context of its own on
  // this thread (parked while the loop runs the disk completions).
  lt::file_storage files;
  lt::add_files(files, (seed_dir / "payload.bin").string());
  lt::create_torrent creator(files, 64 * 1024);
  ssl_files ssl;
  if (o.ssl) {
    if (!make_ssl_files(work, ssl)) {
      std::printf("libtorrent_transfer: could not make the SSL certificate\n");
      return 1;
    }
    creator.set_root_cert(
        std::string(std::istreambuf_iterator<char>(std::ifstream(ssl.certificate).rdbuf()), {}));
  }
  const ssl_files* ssl_for_peers = o.ssl ? &ssl : nullptr;
  lt::error_code ec;
  lt::settings_pack hashing;
  lt::set_piece_hashes(
      creator, seed_dir.string(), hashing,
      o.mmap ? lt::default_disk_io_constructor : lt::posix_disk_io_constructor, [](lt::piece_index_t) {}, ec);
  if (ec) {
    std::printf("libtorrent_transfer: set_piece_hashes failed: %s\n", ec.message().c_str());
    return 1;
  }
  std::vector<char> torrent_file;
  lt::bencode(std::back_inserter(torrent_file), creator.generate());
  auto info = std::make_shared<lt::torrent_info>(torrent_file, lt::from_span);
  std::printf("libtorrent_transfer: torrent created: %d pieces of %d bytes\n", info->num_pieces(),
              info->piece_length());

  // Our io_context: created on this thread, so run-gated; the runner parks in run().
  boost::asio::io_context ioc;
  auto guard = boost::asio::make_work_guard(ioc);
  std::thread runner([&] {
    if (!o.own_thread) ioc.run();
  });
  auto make_session = [&] {
    return o.own_thread ? lt::session(session_params_for_case(o))
                        : lt::session(session_params_for_case(o), ioc);
  };

  bool ok = false;
  // With an external io_context, a session may be destroyed only once run() has
  // returned (session.hpp): abort() hands out a proxy that keeps it alive until then.
  std::vector<lt::session_proxy> proxies;
  {
    lt::session seeder = make_session();
    lt::session downloader = make_session();

    lt::add_torrent_params seed_params;
    seed_params.ti = info;
    seed_params.save_path = seed_dir.string();
    lt::torrent_handle seed = seeder.add_torrent(seed_params);
    if (!wait_for<lt::torrent_checked_alert>(seeder, "seeder", downloader, "downloader", ssl_for_peers,
                                             std::chrono::seconds(20))) {
      std::printf("libtorrent_transfer: the seeder did not finish checking its file\n");
    } else {
      const int port = o.ssl ? seeder.ssl_listen_port() : seeder.listen_port();
      std::printf("libtorrent_transfer: seeder listens on 127.0.0.1:%d%s\n", port, o.ssl ? " (SSL)" : "");

      lt::add_torrent_params download_params;
      download_params.ti = info;
      download_params.save_path = download_dir.string();
      lt::torrent_handle download = downloader.add_torrent(download_params);
      download.connect_peer(lt::tcp::endpoint(boost::asio::ip::address_v4::loopback(), port));

      if (!wait_for<lt::torrent_finished_alert>(downloader, "downloader", seeder, "seeder", ssl_for_peers,
                                                std::chrono::seconds(30))) {
        std::printf("libtorrent_transfer: no torrent_finished_alert from the downloader\n");
      } else {
        std::vector<char> got = read_file(download_dir / "payload.bin");
        ok = got == payload;
        std::printf("libtorrent_transfer: downloaded %zu bytes, %s\n", got.size(),
                    ok ? "identical to the seed" : "DIFFERENT from the seed");
      }
      (void)seed;
    }
    std::printf("libtorrent_transfer: stopping the sessions\n");
    std::fflush(stdout);
    proxies.push_back(seeder.abort());
    proxies.push_back(downloader.abort());
  }
  // ~session posted each session's abort; the context runs out of work once both
  // have shut down, and the runner's run() returns. Then the sessions may go (with
  // own-thread, the proxy's destructor joins the session's network thread).
  guard.reset();
  runner.join();
  proxies.clear();
  std::printf("libtorrent_transfer: sessions closed\n");
  std::printf("libtorrent_transfer: %s\n", ok ? "done" : "FAILED");
  std::fflush(stdout);
  return ok ? 0 : 1;
}
