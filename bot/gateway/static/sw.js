/* 会泽务工助手 chat page: the service worker (served at /sw.js, so its scope is the whole page).
 *
 * It keeps the page and its assets, so a reload without network opens the page (which then shows the
 * last history it saved in localStorage, with a "没有网络" banner) instead of the browser's error page.
 * Network first: with network every load gets the current page and assets (and refreshes the copy);
 * only when the network fails does the copy answer. The API (api/…), the console and WeChat are never
 * touched: their requests go to the network as if there were no worker.
 */
"use strict";

var CACHE = "huize-chat-v1";
var PAGE = "./";
var ASSETS = ["static/chat.css", "static/chat.js", "static/avatar-bot.svg", "static/avatar-user.svg"];

function url(path) {
  return new URL(path, self.registration.scope).href;
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches
      .open(CACHE)
      .then(function (cache) {
        return cache.addAll([PAGE].concat(ASSETS));
      })
      .then(function () {
        return self.skipWaiting();
      })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches
      .keys()
      .then(function (names) {
        return Promise.all(
          names
            .filter(function (name) {
              return name.indexOf("huize-chat-") === 0 && name !== CACHE;
            })
            .map(function (name) {
              return caches.delete(name);
            })
        );
      })
      .then(function () {
        return self.clients.claim();
      })
  );
});

// the network's answer, kept for later; without network, the kept one
function networkFirst(event, key) {
  return fetch(event.request)
    .then(function (response) {
      if (response.ok && response.type === "basic") {
        var copy = response.clone();
        event.waitUntil(
          caches.open(CACHE).then(function (cache) {
            return cache.put(key, copy);
          })
        );
      }
      return response;
    })
    .catch(function (error) {
      return caches.match(key, { cacheName: CACHE }).then(function (kept) {
        if (kept) return kept;
        throw error;
      });
    });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var address = new URL(request.url);
  address.hash = "";
  if (address.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    // the chat page itself (any query string); other pages of the site (the console) are left alone
    if (address.pathname === new URL(url(PAGE)).pathname) event.respondWith(networkFirst(event, url(PAGE)));
    return;
  }
  address.search = "";
  for (var i = 0; i < ASSETS.length; i++) {
    if (address.href === url(ASSETS[i])) {
      event.respondWith(networkFirst(event, url(ASSETS[i])));
      return;
    }
  }
});
