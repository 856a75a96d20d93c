"""Loads `dllama serve`'s chat page in headless Chromium (Debian's chromium and chromedriver,
driven by selenium), sends a message as a person would, and checks that the answer streams in:
text appears while the reply is still marked as streaming, then the reply completes with its
statistics, and the cluster panel lists the root node.

    python chat_page_check.py http://127.0.0.1:PORT MODEL_ID [SCREENSHOT.png]

Exits non-zero naming the first failed check. With SCREENSHOT, saves the page at the end.
"""
import shutil
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

base_url, model = sys.argv[1], sys.argv[2]
screenshot = sys.argv[3] if len(sys.argv) > 3 else None


def fail(what, detail=""):
    sys.exit(f"FAILED: {what} {detail!r}")


def wait_until(what, condition, timeout=240):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    fail(f"timed out waiting for {what}")


browser = shutil.which("chromium") or shutil.which("chromium-browser")
driver_path = shutil.which("chromedriver")
if not browser or not driver_path:
    fail("chromium and chromedriver are needed (apt-get install chromium chromium-driver)", (browser, driver_path))

options = Options()
options.binary_location = browser
for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"]:
    options.add_argument(argument)
# The driver given explicitly: selenium downloads nothing.
driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
try:
    driver.get(base_url + "/")
    wait_until("the model name in the header", lambda: driver.find_element(By.ID, "model").text == model)
    print("ok: the page loaded and shows the model")

    for field, value in [("temperature", "0"), ("max_tokens", "24"), ("system", "Answer in one short sentence.")]:
        element = driver.find_element(By.ID, field)
        element.clear()
        element.send_keys(value)
    # A fast model can stream a short reply between two WebDriver polls, so the page records what it
    # shows itself: a MutationObserver, installed before the message is sent, notes the reply's text
    # and the stop button after every change the page makes while the reply is marked as streaming.
    driver.execute_script("""
        window.partialReplies = [];
        new MutationObserver(() => {
            const replies = document.querySelectorAll('.message.assistant.streaming');
            if (replies.length === 0) return;
            const text = replies[replies.length - 1].innerText;
            const seen = window.partialReplies;
            if (text.trim() && (seen.length === 0 || seen[seen.length - 1][0] !== text))
                seen.push([text, !document.getElementById('stop').disabled]);
        }).observe(document.getElementById('messages'), {childList: true, subtree: true, characterData: true});
    """)
    prompt = driver.find_element(By.ID, "prompt")
    prompt.send_keys("What is the capital of France?")
    prompt.send_keys(Keys.ENTER)

    reply = wait_until("the reply to complete",
                       lambda: next(iter(driver.find_elements(By.CSS_SELECTOR, ".message.assistant.done, .message.assistant.error")), None))
    if "error" in reply.get_attribute("class"):
        fail("the reply is an error", reply.text)
    text = reply.text
    if "Paris" not in text:
        fail("the reply names Paris", text)
    if "tokens" not in reply.find_element(By.CSS_SELECTOR, ".stats").text:
        fail("the reply shows its statistics", text)
    print(f"ok: the reply completed: {text!r}")

    partials = driver.execute_script("return window.partialReplies;")
    # The reply's own text, without the statistics line the page appends when it completes.
    answer = driver.execute_script("return arguments[0].firstChild.textContent;", reply).strip()
    growing = [shown for shown, _ in partials if answer.startswith(shown.strip()) and len(shown.strip()) < len(answer)]
    if not growing:
        fail("part of the reply was on the page before it completed", [shown for shown, _ in partials])
    print(f"ok: the reply streamed in: {growing[0]!r}, then {len(partials) - 1} more steps")
    if not all(stop_enabled for _, stop_enabled in partials):
        fail("the stop button is enabled while generating", partials)
    print("ok: the stop button is enabled while generating")

    rows = wait_until("the cluster panel's root row",
                      lambda: [row.text for row in driver.find_elements(By.CSS_SELECTOR, "#nodes tr") if "root" in row.text])
    if "MiB" not in rows[0]:
        fail("the root row shows its memory", rows[0])
    summary = driver.find_element(By.ID, "cluster-summary").text
    if "in the KV cache" not in summary:
        fail("the cluster summary shows the KV cache", summary)
    print(f"ok: the cluster panel lists the root: {rows[0]!r}")
    if screenshot:
        driver.save_screenshot(screenshot)
        print(f"ok: screenshot saved to {screenshot}")
finally:
    driver.quit()
print("all checks passed")
