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
    prompt = driver.find_element(By.ID, "prompt")
    prompt.send_keys("What is the capital of France?")
    prompt.send_keys(Keys.ENTER)

    # While the reply is streaming, part of its text is already on the page and the stop button is
    # enabled. One script reads all three at once: a fast model can finish a short reply between two
    # WebDriver calls, which would make separate reads disagree.
    snapshot_script = """
        const replies = document.querySelectorAll('.message.assistant');
        if (replies.length === 0) return null;
        const reply = replies[replies.length - 1];
        return [reply.className, reply.innerText, !document.getElementById('stop').disabled];
    """

    def partial_text():
        snapshot = driver.execute_script(snapshot_script)
        if not snapshot:
            return None
        class_name, text, stop_enabled = snapshot
        classes = class_name.split()
        if "streaming" in classes and text.strip():
            return text, stop_enabled
        if "done" in classes or "error" in classes:
            fail("the reply ended before any partial text was seen", text)
        return None

    partial, stop_enabled = wait_until("text of the reply while it streams", partial_text)
    print(f"ok: the reply streams in ({partial!r} so far)")
    if not stop_enabled:
        fail("the stop button is enabled while generating")
    print("ok: the stop button is enabled while generating")

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
