// podnetd: the per-node network daemon. One io_context on one thread runs everything.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <functional>

#include "conf/daemon_config.hpp"
#include "daemon/app.hpp"
#include "ipam-sync/datastore.hpp"
#include "podnet_version.hpp"

int main(int argc, char** argv) {
  CLI::App cli{"podnetd: BGP speaker, route programmer and policy enforcer for one node"};
  std::string config_path, datastore;
  bool version = false;
  cli.add_option("-c,--config", config_path, "daemon config file (YAML)");
  cli.add_option("--datastore", datastore,
                 "datastore instead of the config file's: dir:PATH or etcd:URL[,URL...]");
  cli.add_flag("--version", version, "print the version and exit");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e) == 0 ? 0 : 2;
  }
  if (version) {
    std::printf("podnetd %s (%s)\n", podnet::kVersion, podnet::kGitRevision);
    return 0;
  }
  if (config_path.empty()) {
    std::fprintf(stderr, "podnetd: --config FILE is required\n");
    return 2;
  }

  auto config = podnet::conf::load_daemon_config(config_path);
  if (!config) {
    std::fprintf(stderr, "podnetd: %s\n", config.error().message.c_str());
    return 2;
  }
  // Logs go to stderr, where service managers and our tests collect them; stdout stays quiet.
  spdlog::set_default_logger(spdlog::stderr_color_mt("podnetd"));
  auto level = spdlog::level::from_str(config->log_level);
  spdlog::set_level(level);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  const std::string spec = datastore.empty() ? config->datastore_spec() : datastore;
  auto store = podnet::store::open_datastore(spec);
  if (!store) {
    spdlog::critical("datastore {}: {}", spec, store.error().message);
    return datastore.empty() ? 1 : 2;
  }

  boost::asio::io_context io(1);
  podnet::daemon::App app(io, config.value(), std::move(store.value()));
  if (auto st = app.start(); !st) {
    spdlog::critical("start: {}", st.error().message);
    return 1;
  }

  boost::asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        if (sig == SIGHUP) {
          // Configuration changes come from the datastore watch; a stray SIGHUP must not kill us.
          spdlog::info("SIGHUP ignored: changes are picked up from the datastore as they happen");
          signals.async_wait(on_signal);
          return;
        }
        spdlog::info("{} received: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        app.stop();
        io.stop();
      };
  signals.async_wait(on_signal);
  io.run();
  spdlog::info("podnetd stopped");
  return 0;
}
