// How a WireGuard device is created and configured. Two implementations share this interface:
// the userspace one (wireguard-go, a TUN device configured over its UAPI socket), used where
// the kernel has no wireguard module, and the kernel one (a `wireguard` link configured over
// generic netlink), to be added beside it. The link itself — address, MTU, up, deletion — is
// plain rtnetlink for both and stays with the programmer.
#pragma once

#include <memory>
#include <string>

#include "conf/result.hpp"
#include "dataplane/wireguard_device.hpp"

namespace podnet::dataplane::wg {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;
  // Creates device `ifname` in the calling thread's network namespace (it does not exist there).
  virtual Status create(const std::string& ifname) = 0;
  // Whether `ifname` (which exists as a link) is a device this backend configures; a link of
  // that name that is not (a TUN left without its process, another kind of link) is recreated.
  virtual bool manages(const std::string& ifname) = 0;
  virtual Result<DeviceState> get(const std::string& ifname) = 0;
  // Sends the difference between `current` (from get) and `desired`; nothing if none.
  virtual Status set(const std::string& ifname, const DeviceState& current,
                     const DeviceState& desired) = 0;
};

// wireguard.ko is loaded (or built in) in this kernel.
bool kernel_module_available();

struct UserspaceOptions {
  std::string program = "wireguard-go";
  // wireguard-go's socket directory is compiled in; changing this only tells us where to look.
  std::string socket_dir = "/var/run/wireguard";
  int timeout_ms = 2000;  // for one UAPI exchange
};
std::unique_ptr<Backend> make_userspace_backend(UserspaceOptions opt = {});

// The kernel module's backend; Errc::unavailable when the kernel has no wireguard family.
Result<std::unique_ptr<Backend>> make_kernel_backend();
// The kernel's where it has the module, wireguard-go otherwise.
std::unique_ptr<Backend> make_backend();

// The wireguard-go process serving `ifname` (a live `<program> <ifname>`), for tests and
// diagnostics; Errc::not_found if none runs.
Result<int> userspace_device_pid(const std::string& ifname,
                                 const std::string& program = "wireguard-go");

}  // namespace podnet::dataplane::wg
