-- wrk script for bench/e2e_wrk.py: POST a different comment (and external id) each request.
local counter = 0
local texts = {
  "The IOPC report is damning; South Yorkshire Police still has lessons to learn.",
  "Thank you for reporting this, the survivors deserve to be heard.",
  "Why were the officers allowed to retire before the hearings?",
  "You are a pathetic idiot if you believe a word of this.",
}
function setup(thread)
  thread:set("tid", tostring(math.random(1, 1e9)))
end
function request()
  counter = counter + 1
  local body = string.format(
    '{"article_id": "story-%d", "external_id": "wrk-%s-%d", "author": {"id": "r%d"}, "text": "%s"}',
    counter % 7, tid, counter, counter % 500, texts[counter % #texts + 1])
  return wrk.format("POST", "/v1/comments", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("SITE_KEY"),
  }, body)
end
