if (window.DKFDS && typeof window.DKFDS.init === "function") { window.DKFDS.init(); }
